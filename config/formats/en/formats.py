# What Parley changes in Django's formats for English (FORMAT_MODULE_PATH; the rest is Django's).
# MONTH_DAY_FORMAT labels the days of the signals chart: short, like "Nov 29".
MONTH_DAY_FORMAT = "M j"
