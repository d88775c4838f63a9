from postmortem.cli import app

app(prog_name="postmortem")
