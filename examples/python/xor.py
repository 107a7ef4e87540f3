# XOR: not linearly separable, so one sigmoid neuron cannot learn it, while a
# network with one hidden layer can (the course's multi-layer networks).
import numpy as np
import nabla as tf

tf.set_random_seed(1)

XOR_X = [[0, 0], [0, 1], [1, 0], [1, 1]]
XOR_Y = [[0], [1], [1], [0]]

X = tf.placeholder(tf.float32, shape=(None, 2), name="x")
Y = tf.placeholder(tf.float32, shape=(None, 1), name="y")

# The hidden layer asks four "questions" of the input, the output neuron answers:
hidden = tf.layers.dense(X, 4, activation=tf.nn.tanh, name="hidden")
logits = tf.layers.dense(hidden, 1, name="output")
y_model = tf.sigmoid(logits)
loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=Y, logits=logits))
train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)

# Beside it, the single neuron of the logistic regression lesson:
neuron_logits = tf.layers.dense(X, 1, name="neuron")
neuron = tf.sigmoid(neuron_logits)
neuron_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=Y, logits=neuron_logits))
neuron_train = tf.train.GradientDescentOptimizer(0.5).minimize(neuron_loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(5000):
        _, _, l, nl = sess.run([train_op, neuron_train, loss, neuron_loss], {X: XOR_X, Y: XOR_Y})
        if step % 1000 == 0:
            print("step", step, "network loss", l, "neuron loss", nl)
    net, one = sess.run([y_model, neuron], {X: XOR_X})
    print("x1 x2 | XOR | network | single neuron")
    for (a, b), (t,), (p,), (q,) in zip(XOR_X, XOR_Y, net, one):
        print(" %d  %d |  %d  |  %.3f  |  %.3f" % (a, b, t, p, q))
