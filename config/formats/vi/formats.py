# What Parley changes in Django's formats for Vietnamese (the rest is Django's): dates are
# written day/month/year with slashes, as Vietnamese shop and banking apps do ("29/11/2026 18:05").
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
MONTH_DAY_FORMAT = "d/m"
NUMBER_GROUPING = 3  # Django sets a separator for Vietnamese but no grouping
