# What Parley changes in Django's formats for Thai (the rest is Django's).
# MONTH_DAY_FORMAT labels the days of the signals chart: short, like "29 พ.ย.".
MONTH_DAY_FORMAT = "j M"
