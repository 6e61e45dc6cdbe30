"""Self-contained HTML reports: a jinja2 page (`html`) and inline SVG plots (`plots`), no scripts or external files.

Every report draws with these: data, evaluation, monitoring and incident reports.
"""
