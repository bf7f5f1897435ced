"""gunicorn settings of the web service, shared by `okrsync serve` and the Procfile
(`gunicorn --config python:okrsync.gunicorn_conf …`); gunicorn reads the lower-case names.

The workers (okrsync.gunicorn_app.BufferingThreadWorker) are gunicorn's threaded ones, except that
each request is read by the worker's event loop before one of its threads is given it: clients
that send their request slowly hold a buffer each, never a thread, and the port keeps answering.
"""

worker_class = "okrsync.gunicorn_app.BufferingThreadWorker"
threads = 4  # per worker process: they only ever see requests that have arrived
worker_connections = 250  # per worker process: connections open at once (more wait in the listen backlog)
keepalive = 2  # seconds an idle kept-alive connection stays open
timeout = 30  # seconds a worker may go silent before the arbiter restarts it
accesslog = "-"
control_socket_disable = True  # one shared default path would clash between instances on one machine

HEADER_SECONDS = 5.0  # a request's line and headers must arrive within this, or it is answered 408
BODY_SECONDS = 10.0  # then its body within this (also the limit on any later silence of the client)
BUFFER_BODY_BYTES = 512 * 1024  # a body is read before dispatch up to this; a longer one's rest in the thread
