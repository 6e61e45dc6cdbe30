"""Self-contained HTML reports: a jinja2 page (`html`) and inline SVG plots (`plots`), no scripts or external files.

Shared by the data report and, later, monitoring and evaluation reports.
"""
