/* The module the suite imports: SIZES, the values its tests are
   parametrized over (ext_check.py changes them), and square(). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static const long kSizes[] = {1, 2, 3};

static PyObject *square(PyObject *self, PyObject *arg) {
  long n = PyLong_AsLong(arg);
  if (n == -1 && PyErr_Occurred()) return NULL;
  return PyLong_FromLong(n * n);
}

static PyMethodDef kMethods[] = {{"square", square, METH_O, "n * n"}, {NULL, NULL, 0, NULL}};

static struct PyModuleDef kModule = {PyModuleDef_HEAD_INIT, "sizes", NULL, -1, kMethods};

PyMODINIT_FUNC PyInit_sizes(void) {
  size_t count = sizeof kSizes / sizeof kSizes[0];
  PyObject *module = PyModule_Create(&kModule);
  PyObject *sizes = PyTuple_New((Py_ssize_t)count);
  if (module == NULL || sizes == NULL) goto fail;
  for (size_t i = 0; i < count; ++i) {
    PyObject *n = PyLong_FromLong(kSizes[i]);
    if (n == NULL) goto fail;
    PyTuple_SET_ITEM(sizes, (Py_ssize_t)i, n);
  }
  if (PyModule_AddObject(module, "SIZES", sizes) < 0) goto fail;
  return module;
fail:
  Py_XDECREF(sizes);
  Py_XDECREF(module);
  return NULL;
}
