# The course's convolutional network (the TensorFlow tutorial's convnet) on Fashion-MNIST.
import sys
import time

import numpy as np
import nabla as tf
from nabla.examples.tutorials.mnist import input_data

DATA_DIR = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 8
TRAIN_SIZE = int(sys.argv[3]) if len(sys.argv) > 3 else 0
BATCH = 64

mnist = input_data.read_data_sets(DATA_DIR, validation_size=0, reshape=False)
tf.set_random_seed(1)

x = tf.placeholder(tf.float32, (None, 28, 28, 1), name="x")   # pixels / 255
y = tf.placeholder(tf.int32, (None,), name="y")
h = tf.layers.conv2d(x, 32, 5, padding="same", activation=tf.nn.relu)
h = tf.layers.max_pooling2d(h, 2, 2)                           # 14x14x32
h = tf.layers.conv2d(h, 64, 5, padding="same", activation=tf.nn.relu)
h = tf.layers.max_pooling2d(h, 2, 2)                           # 7x7x64
h = tf.layers.dense(tf.layers.flatten(h), 1024, tf.nn.relu)
logits = tf.layers.dense(h, 10)
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
train_op = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.cast(tf.argmax(logits, 1), tf.int32), y), tf.float32))

n_train = TRAIN_SIZE or mnist.train.num_examples
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    steps = (n_train + BATCH - 1) // BATCH
    for epoch in range(EPOCHS):
        t0 = time.time()
        total = 0.0
        for _ in range(steps):
            bx, by = mnist.train.next_batch(BATCH)
            _, l = sess.run([train_op, loss], {x: bx, y: by})
            total += l
        acc = np.mean([sess.run(accuracy, {x: mnist.test.images[i:i + 1000],
                                           y: mnist.test.labels[i:i + 1000]})
                       for i in range(0, mnist.test.num_examples, 1000)])
        print("epoch %d: %.1f s, mean loss %.4f, test accuracy %.4f"
              % (epoch + 1, time.time() - t0, total / steps, acc))
