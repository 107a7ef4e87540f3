"""tf.gfile: local files only (TF1's GFile API over os / open)."""
import glob as _glob
import os
import shutil

Open = open
GFile = open
FastGFile = open


def Exists(path):
    return os.path.exists(path)


def MakeDirs(path):
    os.makedirs(path, exist_ok=True)


def MkDir(path):
    os.mkdir(path)


def DeleteRecursively(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    else:
        os.remove(path)


def Remove(path):
    os.remove(path)


def IsDirectory(path):
    return os.path.isdir(path)


def ListDirectory(path):
    return os.listdir(path)


def Glob(pattern):
    return _glob.glob(pattern)


def Copy(src, dst, overwrite=False):
    if not overwrite and os.path.exists(dst):
        raise OSError("file exists: %s" % dst)
    shutil.copyfile(src, dst)


def Rename(src, dst, overwrite=False):
    if not overwrite and os.path.exists(dst):
        raise OSError("file exists: %s" % dst)
    os.replace(src, dst)


def Walk(top, in_order=True):
    return os.walk(top)
