"""The xAPI statements resource (/xapi/statements)."""

from lms.records import views as records_views

# Completed to the full resource in the following commits; until then the browser's
# endpoint answers here too.
statements = records_views.statements
