"""Which pickle globals are safe, unexpected or dangerous.

A global is judged on its resolved dotted path (module + "." + name, names with dots resolved the way
protocol 4 does: ``os.path`` + ``join`` and ``builtins`` + ``getattr`` both count, and so does
``torch`` + ``_utils.os.system``). Order of the checks:

1. DANGEROUS (critical) when any suffix of the path starts with a denylisted module, or names a
   denylisted function, or when any attribute step is a dunder (``__globals__``, ``__builtins__``...).
2. SAFE when the exact (module, name) pair is allowlisted, or the module is under an allowlisted
   class prefix and the name is a plain class name (Capitalised, no dot, no leading underscore).
   Decision for scikit-learn / torch.nn modules / xgboost / lightgbm estimators: allowlisted by module
   prefix for *classes only* (their pickles name nothing else); functions under those packages
   (``sklearn.datasets.fetch_*`` downloads data) stay unexpected. ``sklearn.externals`` is excluded.
3. UNEXPECTED (at least medium) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

SAFE, UNEXPECTED, DANGEROUS = "safe", "unexpected", "dangerous"


@dataclass(frozen=True)
class Verdict:
    level: str
    reason: str


# modules dangerous as a whole (any attribute, any submodule)
DENY_MODULES: frozenset[str] = frozenset({
    "os", "posix", "nt", "posixpath", "ntpath", "subprocess", "_posixsubprocess", "runpy", "importlib",
    "imp", "zipimport", "pkgutil", "pickle", "_pickle", "cPickle", "marshal", "ctypes", "_ctypes", "pip",
    "ensurepip", "timeit", "cProfile", "profile", "pdb", "bdb", "trace", "code", "codeop", "pty", "socket",
    "_socket", "ssl", "shutil", "webbrowser", "asyncio", "sys", "requests", "urllib", "urllib2",
    "urllib3", "httplib", "http", "httpx", "aiohttp", "ftplib", "smtplib", "telnetlib", "xmlrpc",
    "tempfile", "multiprocessing", "_multiprocessing", "signal", "commands", "popen2", "platform",
    "operator", "_operator", "dill", "cloudpickle", "joblib._store_backends", "glob", "io", "_io",
    "fileinput", "linecache", "zipfile", "tarfile", "sqlite3", "paramiko", "venv", "site", "distutils",
    "setuptools", "threading", "_thread", "concurrent", "inspect", "gc", "builtins.__import__",
    "torch.utils.collect_env", "torch.hub", "torch.serialization", "torch.storage._load_from_bytes",
    "torch._inductor", "torch.jit", "torch.utils.cpp_extension", "torch._dynamo", "torch.package",
    "numpy.testing", "numpy.f2py", "numpy.distutils", "numpy.load", "numpy.lib.npyio", "numpy.ctypeslib",
    "pandas.read_pickle", "pandas.io", "keras.utils.get_file", "tensorflow.io", "types.CodeType",
    "types.FunctionType", "types.LambdaType", "types.MethodType", "codecs.open", "nturl2path",
})

# modules reached as an attribute of another module (``torch`` + ``_utils.os.system``)
INNER_DENY: frozenset[str] = frozenset({
    "os", "posix", "nt", "subprocess", "sys", "builtins", "__builtin__", "pickle", "_pickle", "marshal",
    "importlib", "runpy", "shutil", "socket", "ctypes", "pty", "webbrowser", "asyncio", "operator",
    "functools", "codecs", "io", "pip", "timeit", "pdb", "code",
})

# single callables that are dangerous (module.name)
DENY_NAMES: frozenset[str] = frozenset({
    "builtins.eval", "builtins.exec", "builtins.compile", "builtins.getattr", "builtins.setattr",
    "builtins.delattr", "builtins.open", "builtins.breakpoint", "builtins.apply", "builtins.execfile",
    "builtins.input", "builtins.globals", "builtins.locals", "builtins.vars", "builtins.help",
    "builtins.memoryview", "builtins.exit", "builtins.quit", "builtins.reload", "builtins.file",
    "functools.partial", "functools.reduce", "functools.partialmethod", "functools.singledispatch",
    "copyreg._reconstructor.__call__", "builtins.type", "builtins.super", "builtins.classmethod",
    "builtins.staticmethod", "builtins.property", "builtins.dir", "builtins.hasattr",
})

ALLOW_EXACT: frozenset[str] = frozenset({
    "collections.OrderedDict", "collections.defaultdict", "collections.deque", "collections.Counter",
    "builtins.set", "builtins.frozenset", "builtins.slice", "builtins.complex", "builtins.bytearray",
    "builtins.bytes", "builtins.dict", "builtins.list", "builtins.tuple", "builtins.int", "builtins.float",
    "builtins.str", "builtins.bool", "builtins.range", "builtins.object", "builtins.NoneType",
    "copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__", "_codecs.encode",
    "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone",
    "decimal.Decimal", "fractions.Fraction", "uuid.UUID", "pathlib.PosixPath", "pathlib.WindowsPath",
    "pathlib.PurePosixPath", "pathlib.PureWindowsPath", "re._compile", "enum.Enum",
    # numpy
    "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar", "numpy.dtype", "numpy.ndarray",
    "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer", "numpy.ma.core._mareconstruct",
    "numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__generator_ctor", "numpy.random.mtrand._rand", "numpy.bool_",
    # torch tensors, parameters, storages
    "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state", "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_qtensor", "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_wrapper_subclass", "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._utils._rebuild_nested_tensor", "torch._tensor._rebuild_from_type_v2",
    "torch.nn.parameter.Parameter", "torch.Size", "torch.device", "torch.storage.UntypedStorage",
    "torch.storage.TypedStorage", "torch.storage._TypedStorage", "torch.serialization._get_layout",
    "torch.strided", "torch.sparse_coo", "torch.contiguous_format", "torch.channels_last",
    "torch.preserve_format", "torch.per_tensor_affine", "torch.per_channel_affine",
    # joblib containers for numpy arrays
    "joblib.numpy_pickle.NumpyArrayWrapper", "joblib.numpy_pickle_compat.NDArrayWrapper",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
})

_TORCH_STORAGES = ("Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
                   "ComplexFloat", "ComplexDouble", "QUInt8", "QInt8", "QInt32", "QUInt4x2", "QUInt2x4")
_TORCH_DTYPES = ("float16", "float32", "float64", "bfloat16", "half", "float", "double", "int8", "int16",
                 "int32", "int64", "uint8", "bool", "complex64", "complex128", "long", "int", "short",
                 "float8_e4m3fn", "float8_e5m2", "uint16", "uint32", "uint64", "qint8", "quint8", "qint32")
ALLOW: frozenset[str] = ALLOW_EXACT | {f"torch.{s}Storage" for s in _TORCH_STORAGES} | {
    f"torch.{d}" for d in _TORCH_DTYPES} | {f"numpy.dtypes.{k}DType" for k in (
        "Float16", "Float32", "Float64", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32",
        "UInt64", "Bool", "Complex64", "Complex128", "Object", "Bytes", "Str", "DateTime64",
        "TimeDelta64", "LongDouble")}

# packages whose *classes* are allowlisted by prefix (estimators, layers); see module docstring
CLASS_PREFIXES: tuple[str, ...] = (
    "sklearn.", "torch.nn.modules.", "xgboost.", "lightgbm.", "catboost.", "scipy.sparse.",
    "numpy.", "pandas.core.", "transformers.models.", "tokenizers.",
)
CLASS_PREFIX_EXCLUDED: tuple[str, ...] = ("sklearn.externals", "sklearn.datasets", "sklearn.utils._testing",
                                          "numpy.testing", "numpy.f2py", "numpy.distutils", "numpy.lib.npyio")


def _suffixes(parts: list[str]) -> list[str]:
    return [".".join(parts[i:]) for i in range(len(parts))]


def classify(module: str, name: str) -> Verdict:
    if module == "?" or not module or not name:
        return Verdict(DANGEROUS, "import whose module or name is only known at load time")
    full = f"{module}.{name}"
    parts = full.split(".")
    attr_parts = name.split(".")
    if any(p.startswith("__") and p.endswith("__") and p not in ("__newobj__", "__newobj_ex__",
                                                                  "__randomstate_ctor",
                                                                  "__bit_generator_ctor",
                                                                  "__generator_ctor")
           for p in attr_parts[1:] if p) or any(p in ("__globals__", "__builtins__", "__code__",
                                                       "__subclasses__", "__import__")
                                               for p in attr_parts):
        return Verdict(DANGEROUS, f"attribute traversal through a dunder in '{name}'")
    for i, suffix in enumerate(_suffixes(parts)):
        sub = suffix.split(".")
        deny = DENY_MODULES if i == 0 else INNER_DENY
        for k in range(1, len(sub) + 1):
            prefix = ".".join(sub[:k])
            if prefix in deny:
                return Verdict(DANGEROUS, f"'{full}' reaches '{prefix}', which can run code, touch files "
                                          f"or the network")
        if suffix in DENY_NAMES:
            return Verdict(DANGEROUS, f"'{suffix}' can run code or reach arbitrary objects")
    if full in ALLOW:
        return Verdict(SAFE, "allowlisted")
    if "." not in name and name[:1].isupper() and not name.startswith("_"):
        for prefix in CLASS_PREFIXES:
            if full.startswith(prefix) and not module.startswith(CLASS_PREFIX_EXCLUDED):
                return Verdict(SAFE, f"class under allowlisted package prefix '{prefix}'")
    return Verdict(UNEXPECTED, f"'{full}' is not on the allowlist of globals a model pickle needs")
