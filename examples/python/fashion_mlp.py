# A multi-layer perceptron on Fashion-MNIST, TF1 style (the tutorial MNIST reader
# reads the local IDX files of Debian's dataset-fashion-mnist).
import sys
import time

import numpy as np
import nabla as tf
from nabla.examples.tutorials.mnist import input_data

DATA_DIR = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
BATCH = 64

mnist = input_data.read_data_sets(DATA_DIR, validation_size=0)
tf.set_random_seed(1)

x = tf.placeholder(tf.float32, (None, 784), name="x")   # pixels / 255
y = tf.placeholder(tf.int32, (None,), name="y")
h = tf.layers.dense(x, 256, tf.nn.relu)
h = tf.layers.dense(h, 256, tf.nn.relu)
logits = tf.layers.dense(h, 10)
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
train_op = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss)
correct = tf.equal(tf.cast(tf.argmax(logits, 1), tf.int32), y)
accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    steps = (mnist.train.num_examples + BATCH - 1) // BATCH
    for epoch in range(EPOCHS):
        t0 = time.time()
        total = 0.0
        for _ in range(steps):
            bx, by = mnist.train.next_batch(BATCH)
            _, l = sess.run([train_op, loss], {x: bx, y: by})
            total += l
        acc = sess.run(accuracy, {x: mnist.test.images, y: mnist.test.labels})
        print("epoch %d: %.1f s, mean loss %.4f, test accuracy %.4f"
              % (epoch + 1, time.time() - t0, total / steps, acc))
