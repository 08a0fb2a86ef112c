# What Parley changes in Django's formats for Indonesian (the rest is Django's).
# MONTH_DAY_FORMAT labels the days of the signals chart: short, like "29 Nov".
MONTH_DAY_FORMAT = "j M"
