"""Packages that are also functions: ``embgeo.uniformity`` is the uniformity family
*and* the function ``uniformity(X)``.

Python binds a subpackage as an attribute of its parent when it is imported, so a
package and a function of the same name cannot both live at ``embgeo.NAME``. A
package made callable here delegates ``package(...)`` to its main function, so
``import embgeo as eg; eg.uniformity(X)`` and ``from embgeo.uniformity import gap``
both work, whatever was imported first.
"""
from __future__ import annotations

import sys
import types


def make_callable(module_name: str, function_name: str) -> None:
    """Let ``sys.modules[module_name](...)`` call its attribute ``function_name``."""
    module = sys.modules[module_name]

    class CallableModule(types.ModuleType):
        def __call__(self, *args, **kwargs):
            return getattr(self, function_name)(*args, **kwargs)

    CallableModule.__name__ = f"CallableModule[{module_name}]"
    module.__class__ = CallableModule
