"""Binds the streams' methods at import, as numpy.f2py does (errmess =
sys.stderr.write): the conftest imports it while the warm interpreter
collects, long before any entry's streams exist."""
import sys

errmess = sys.stderr.write
outmess = sys.stdout.write
