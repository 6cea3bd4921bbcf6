"""Importing the institution registry from the spreadsheets a city has (issue 20)."""
