"""tf.errors: TF1's exception classes. libnabla writes every message; a failed
run raises the class registered for its nb_status with that message."""

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """A failed operation (tf.errors.OpError(node_def, op, message, error_code))."""

    def __init__(self, node_def, op, message, error_code=UNKNOWN):
        super(OpError, self).__init__()
        self._node_def = node_def
        self._op = op
        self._message = message
        self._error_code = error_code

    def __reduce__(self):
        return (type(self), (self._node_def, self._op, self._message))

    @property
    def message(self):
        return self._message

    @property
    def op(self):
        return self._op

    @property
    def node_def(self):
        return self._node_def

    @property
    def error_code(self):
        return self._error_code

    def __str__(self):
        return self._message


def _make(name, code, doc):
    def __init__(self, node_def, op, message, *args):
        OpError.__init__(self, node_def, op, message, code)
    return type(name, (OpError,), {"__init__": __init__, "__doc__": doc})


CancelledError = _make("CancelledError", CANCELLED, "An operation was cancelled.")
UnknownError = _make("UnknownError", UNKNOWN, "An unknown error.")
InvalidArgumentError = _make("InvalidArgumentError", INVALID_ARGUMENT,
                             "An argument (a fed value, a shape, a dtype) is invalid.")
DeadlineExceededError = _make("DeadlineExceededError", DEADLINE_EXCEEDED, "A deadline expired.")
NotFoundError = _make("NotFoundError", NOT_FOUND, "A file, name or entry was not found.")
AlreadyExistsError = _make("AlreadyExistsError", ALREADY_EXISTS, "An entity already exists.")
PermissionDeniedError = _make("PermissionDeniedError", PERMISSION_DENIED, "Permission denied.")
ResourceExhaustedError = _make("ResourceExhaustedError", RESOURCE_EXHAUSTED,
                               "A resource (memory) is exhausted.")
FailedPreconditionError = _make("FailedPreconditionError", FAILED_PRECONDITION,
                                "The system is not in a state for the operation "
                                "(e.g. an uninitialized variable).")
AbortedError = _make("AbortedError", ABORTED, "The operation was aborted.")
OutOfRangeError = _make("OutOfRangeError", OUT_OF_RANGE, "Iterated past the valid range.")
UnimplementedError = _make("UnimplementedError", UNIMPLEMENTED,
                           "The operation is not implemented (e.g. no gradient).")
InternalError = _make("InternalError", INTERNAL, "An internal invariant broke.")
UnavailableError = _make("UnavailableError", UNAVAILABLE, "The runtime is unavailable.")
DataLossError = _make("DataLossError", DATA_LOSS,
                      "Unrecoverable data loss or corruption (a malformed file).")
UnauthenticatedError = _make("UnauthenticatedError", UNAUTHENTICATED, "Not authenticated.")

_CODE_TO_CLASS = {
    CANCELLED: CancelledError, UNKNOWN: UnknownError, INVALID_ARGUMENT: InvalidArgumentError,
    DEADLINE_EXCEEDED: DeadlineExceededError, NOT_FOUND: NotFoundError,
    ALREADY_EXISTS: AlreadyExistsError, PERMISSION_DENIED: PermissionDeniedError,
    RESOURCE_EXHAUSTED: ResourceExhaustedError, FAILED_PRECONDITION: FailedPreconditionError,
    ABORTED: AbortedError, OUT_OF_RANGE: OutOfRangeError, UNIMPLEMENTED: UnimplementedError,
    INTERNAL: InternalError, UNAVAILABLE: UnavailableError, DATA_LOSS: DataLossError,
    UNAUTHENTICATED: UnauthenticatedError,
}

# A shape error of a run is TF1's InvalidArgumentError, except that TF1 checks a fed
# value's shape in Python and raises ValueError ("Cannot feed value of shape ..."):
# this class is both, so either `except` of a TF1 program catches it.
_ShapeError = type("InvalidArgumentError", (InvalidArgumentError, ValueError),
                   {"__doc__": "A shape error of a run (also a ValueError, as TF1's feed "
                               "shape check)."})

# nabla's nb_status numbers (include/nabla.h) -> TF1's classes.
NB_STATUS_CLASSES = {
    1: InvalidArgumentError,      # NB_ERR_INVALID_ARGUMENT
    2: _ShapeError,               # NB_ERR_SHAPE
    3: InvalidArgumentError,      # NB_ERR_DTYPE
    4: NotFoundError,             # NB_ERR_NOT_FOUND
    5: UnimplementedError,        # NB_ERR_UNIMPLEMENTED
    6: ResourceExhaustedError,    # NB_ERR_OUT_OF_MEMORY
    7: DataLossError,             # NB_ERR_IO (unreadable, unwritable or malformed file)
    8: InternalError,             # NB_ERR_INTERNAL
    9: FailedPreconditionError,   # NB_ERR_FAILED_PRECONDITION
}


def exception_type_from_error_code(error_code):
    return _CODE_TO_CLASS[error_code]


def error_code_from_exception_type(cls):
    for code, c in _CODE_TO_CLASS.items():
        if c is cls:
            return code
    return UNKNOWN


class raise_exception_on_not_ok_status(object):
    """TF1's context manager; nabla raises directly, so it only passes through."""

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
