"""Django settings of the matrix's pytest-django row: the auth app, and a
test database in a file of the working directory, which entries running at
the same time share as they would share a database server."""
SECRET_KEY = "matrix"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "TEST": {"NAME": "matrix_test.sqlite3"},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
