"""`questionnaires` stays pure: importing it pulls in no web, database, i18n or numeric stack."""
import subprocess
import sys

FORBIDDEN = ("flask", "flask_babel", "flask_wtf", "flask_login", "sqlalchemy", "babel",
             "numpy", "scoring", "survey_app", "matplotlib", "pandas")


def test_import_pulls_in_nothing_forbidden():
    code = (
        "import sys, questionnaires\n"
        "questionnaires.template('sector_style')\n"
        "questionnaires.method_for(questionnaires.template('decision'), [('members', 1.0)])\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    loaded = {name.split(".")[0] for name in result.stdout.split()}
    assert "questionnaires" in loaded and "yaml" in loaded
    assert not loaded & set(FORBIDDEN), loaded & set(FORBIDDEN)
