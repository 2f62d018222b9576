"""The wheel's packages: every ``lrcourse*`` package, plus the quiz banks as ``lrcourse.banks``.

The banks are data the course's authors edit at the top of the repository (``quizzes/``); an
installed course finds them inside the package (``lrcourse/banks``), a clone or an editable
install at ``quizzes/`` (see ``lrcourse.quiz.bank.quiz_dir``). Everything else is in
pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["lrcourse", "lrcourse.*"]), "lrcourse.banks"],
    package_dir={"lrcourse.banks": "quizzes"},
    package_data={
        "lrcourse": ["static/*", "data/*", "py.typed"],
        "lrcourse.banks": ["*.yaml", "SCHEMA.md"],
    },
    include_package_data=False,
)
