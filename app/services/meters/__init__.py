"""Meters and their readings: values (the digits rule), the submission window, the checks on
entry, the meters of an account, the import, the reminders."""
