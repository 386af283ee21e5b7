"""The commission's pages: campaigns, groups, codes, turnout and results."""
