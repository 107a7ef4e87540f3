"""tf.logging: TF1's logging names over Python's logging module."""
import logging as _logging

DEBUG = _logging.DEBUG
INFO = _logging.INFO
WARN = _logging.WARNING
WARNING = _logging.WARNING
ERROR = _logging.ERROR
FATAL = _logging.CRITICAL

_logger = _logging.getLogger("nabla")
if not _logger.handlers:
    _h = _logging.StreamHandler()
    _h.setFormatter(_logging.Formatter("%(levelname)s:nabla:%(message)s"))
    _logger.addHandler(_h)
    _logger.setLevel(WARNING)


def set_verbosity(level):
    _logger.setLevel(level)


def get_verbosity():
    return _logger.getEffectiveLevel()


def debug(msg, *args, **kw):
    _logger.debug(msg, *args, **kw)


def info(msg, *args, **kw):
    _logger.info(msg, *args, **kw)


def warning(msg, *args, **kw):
    _logger.warning(msg, *args, **kw)


warn = warning


def error(msg, *args, **kw):
    _logger.error(msg, *args, **kw)


def fatal(msg, *args, **kw):
    _logger.critical(msg, *args, **kw)


def log(level, msg, *args, **kw):
    _logger.log(level, msg, *args, **kw)
