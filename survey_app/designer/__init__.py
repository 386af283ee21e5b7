"""The questionnaire designer: staff build, check, preview and publish questionnaires in the browser."""
