# What Parley changes in Django's formats for Czech (the rest is Django's).
# MONTH_DAY_FORMAT labels the days of the signals chart: short, like "29. 11.".
MONTH_DAY_FORMAT = "j. n."
