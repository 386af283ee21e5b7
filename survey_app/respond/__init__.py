"""Where respondents meet the platform: entering a code or following a public link, answering."""
