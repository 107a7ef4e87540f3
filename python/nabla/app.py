"""tf.app: run(main, argv) parses the flags and exits with main's return value."""
import sys

from . import flags  # noqa: F401  (tf.app.flags)


def run(main=None, argv=None):
    args = sys.argv if argv is None else argv
    rest = flags.FLAGS._parse(args, known_only=True)
    if main is None:
        main = sys.modules["__main__"].main
    sys.exit(main(rest))
