"""tf.app.flags / tf.flags: TF1's command-line flags (DEFINE_string, ..., FLAGS)."""
import sys


class _FlagValues(object):
    def __init__(self):
        self.__dict__["_flags"] = {}
        self.__dict__["_parsed"] = False

    def __getattr__(self, name):
        flags = self.__dict__["_flags"]
        if name not in flags:
            raise AttributeError(name)
        if not self.__dict__["_parsed"]:
            self._parse(sys.argv, known_only=True)
        return flags[name]["value"]

    def __setattr__(self, name, value):
        self.__dict__["_flags"].setdefault(name, {"type": type(value), "help": ""})
        self.__dict__["_flags"][name]["value"] = value

    def __contains__(self, name):
        return name in self.__dict__["_flags"]

    def __call__(self, argv, known_only=False):
        return self._parse(argv, known_only)

    def flag_values_dict(self):
        return {k: v["value"] for k, v in self.__dict__["_flags"].items()}

    def _define(self, name, default, help, kind):
        self.__dict__["_flags"][name] = {"value": default, "type": kind, "help": help}

    def _convert(self, name, text):
        kind = self.__dict__["_flags"][name]["type"]
        if kind is bool:
            t = text.lower()
            if t in ("true", "t", "1", "yes"):
                return True
            if t in ("false", "f", "0", "no"):
                return False
            raise ValueError("flag --%s: %r is not a boolean" % (name, text))
        if kind is list:
            return [s for s in text.split(",") if s] if text else []
        return kind(text)

    def _parse(self, argv, known_only=False):
        flags = self.__dict__["_flags"]
        rest = [argv[0]] if argv else []
        i = 1
        args = list(argv or [])
        while i < len(args):
            a = args[i]
            if a == "--":
                rest.extend(args[i + 1:])
                break
            if a.startswith("-") and len(a) > 1:
                body = a.lstrip("-")
                if "=" in body:
                    name, val = body.split("=", 1)
                else:
                    name, val = body, None
                if name in flags:
                    if val is None:
                        if flags[name]["type"] is bool:
                            val = "true"
                        elif i + 1 < len(args):
                            i += 1
                            val = args[i]
                        else:
                            raise ValueError("flag --%s needs a value" % name)
                    flags[name]["value"] = self._convert(name, val)
                elif name.startswith("no") and name[2:] in flags and \
                        flags[name[2:]]["type"] is bool and val is None:
                    flags[name[2:]]["value"] = False
                elif name in ("help", "h", "helpfull") and not known_only:
                    for k, v in sorted(flags.items()):
                        print("  --%s: %s (default: %r)" % (k, v["help"], v["value"]))
                    sys.exit(0)
                else:
                    rest.append(a)
            else:
                rest.append(a)
            i += 1
        self.__dict__["_parsed"] = True
        return rest


FLAGS = _FlagValues()


def DEFINE_string(name, default, help=None, flag_values=FLAGS, **kw):
    flag_values._define(name, default, help, str)


def DEFINE_integer(name, default, help=None, flag_values=FLAGS, lower_bound=None,
                   upper_bound=None, **kw):
    flag_values._define(name, default, help, int)


def DEFINE_float(name, default, help=None, flag_values=FLAGS, **kw):
    flag_values._define(name, default, help, float)


def DEFINE_boolean(name, default, help=None, flag_values=FLAGS, **kw):
    flag_values._define(name, default, help, bool)


DEFINE_bool = DEFINE_boolean


def DEFINE_list(name, default, help=None, flag_values=FLAGS, **kw):
    if isinstance(default, str):
        default = [s for s in default.split(",") if s]
    flag_values._define(name, default, help, list)


def DEFINE_enum(name, default, enum_values, help=None, flag_values=FLAGS, **kw):
    flag_values._define(name, default, help, str)


def mark_flag_as_required(name, flag_values=FLAGS):
    pass
