# Softmax classification on the iris data (the course's "Softmax classification"):
# one neuron per class, trained with gradient descent on the whole table.
import os

import numpy as np
import nabla as tf

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "iris.csv")

# this time weights form a matrix, not a column vector, one "weight vector" per class.
W = tf.Variable(tf.zeros([4, 3]), name="weights")
# so do the biases, one per class.
b = tf.Variable(tf.zeros([3], name="bias"))

def combine_inputs(X):
    return tf.matmul(X, W) + b

def inference(X):
    return tf.nn.softmax(combine_inputs(X))

def loss(X, Y):
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=Y, logits=combine_inputs(X)))

def inputs():
    data = np.loadtxt(DATA, delimiter=",", skiprows=1, dtype=np.float32)
    features = data[:, :4]
    label_number = data[:, 4].astype(np.int32)
    return tf.constant(features), tf.constant(label_number)

def train(total_loss):
    learning_rate = 0.05
    return tf.train.GradientDescentOptimizer(learning_rate).minimize(total_loss)

def evaluate(sess, X, Y):
    predicted = tf.cast(tf.argmax(inference(X), 1), tf.int32)
    print("accuracy:", sess.run(tf.reduce_mean(tf.cast(tf.equal(predicted, Y), tf.float32))))

# Launch the graph in a session, setup boilerplate
with tf.Session() as sess:

    tf.global_variables_initializer().run()

    X, Y = inputs()

    total_loss = loss(X, Y)
    train_op = train(total_loss)

    # actual training loop
    training_steps = 3000
    for step in range(training_steps):
        sess.run([train_op])
        # for debugging and learning purposes, see how the loss gets decremented thru training steps
        if step % 500 == 0:
            print("loss: ", sess.run([total_loss]))

    evaluate(sess, X, Y)

    sess.close()
