"""A load harness for the hosted lab: simulated students that speak Streamlit's own websocket protocol.

protocol.py  one browser tab: BackMsg out, ForwardMsg in, widget states kept as the frontend keeps them
widgets.py   widget elements read from the deltas, and the WidgetState a value change sends
students.py  the scripted lab path with think times, one coroutine per student
server.py    `streamlit run` on a free loopback port, and its CPU and memory measured with psutil
browsers.py  real headless Chromium sessions on the same path, for what a student sees end to end
report.py    percentiles per interaction, the printed table and the JSON file
"""
