"""Learning records: what each learner started, completed, scored and was credited.

This app is the only writer of learner data (enrolments, progress, statements,
completions, the yearly JP ledger, certificates). Its models arrive with the
Learning records issue; the app exists now so that migrations and imports have a home.
"""
