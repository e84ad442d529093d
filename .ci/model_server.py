"""A stand-in OpenAI-compatible model server on 127.0.0.1 for the CI checks: every chat
completion is the same short reply, streamed (server-sent events) when the request asks for it.
Usage: model_server.py PORT_FILE  (writes the port it bound, then serves until killed)."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKENS = ["Hello", " from", " the", " stand-in."]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)) or 0)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        if request.get("stream"):
            chunks = [
                {"choices": [{"index": 0, "delta": {"content": token}}]} for token in TOKENS
            ]
            payload = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks)
            payload += "data: [DONE]\n\n"
            self.reply("text/event-stream", payload.encode())
        else:
            answer = {
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "".join(TOKENS)},
                        "finish_reason": "stop",
                    }
                ]
            }
            self.reply("application/json", json.dumps(answer).encode())

    def reply(self, content_type, payload):
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as port_file:
        port_file.write(str(server.server_address[1]))
    server.serve_forever()
