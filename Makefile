# `make run` and `make test` set everything up on a fresh machine; both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi
APT := $(shell command -v apt-get 2>/dev/null)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test sysdeps translations extract-messages clean-venv bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Chinese glyphs in charts, PDFs and screenshots need a CJK font; browser tests need Chromium.
sysdeps:
	@if ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then \
	  if [ -n "$(APT)" ]; then $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq fonts-noto-cjk >/dev/null; \
	  else echo "warning: install a CJK font (fonts-noto-cjk) for Chinese charts and PDFs"; fi; fi
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then \
	  if [ -n "$(APT)" ]; then $(SUDO) apt-get install -y -qq chromium poppler-utils >/dev/null 2>&1 || \
	    ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium poppler-utils >/dev/null); \
	  else echo "warning: chromium and poppler-utils are needed for the browser tests"; fi; fi

translations: $(STAMP)
	$(BIN)/pybabel compile -d translations

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o translations/messages.pot .
	$(BIN)/pybabel update -N -i translations/messages.pot -d translations

run: $(STAMP) sysdeps translations
	$(FLASK) db upgrade
	$(FLASK) prepare-fonts
	$(FLASK) demo --if-empty
	@echo ""
	@echo "  Democratic appraisal platform: http://127.0.0.1:5000"
	@echo "  demo admin login: admin / demo-password-2026   (other demo logins: staff, clerk, auditor, leader01, officer1-3)"
	@echo "  demo counting officers, any 2 of 3: 'jiangchuan officer one', 'jiangchuan officer two', 'jiangchuan officer three'"
	@echo ""
	$(FLASK) run --host 127.0.0.1 --port 5000

test: $(STAMP) sysdeps translations
	$(BIN)/python -m pytest -q

bench: $(STAMP) sysdeps
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench.scoring
