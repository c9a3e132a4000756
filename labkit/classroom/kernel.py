"""A kernel in a learner's server, driven over Jupyter's websocket protocol as JupyterLab drives it
(``LocalHub.kernel`` starts one through the server's sessions API)."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .localhub import LocalHub


@dataclass
class Kernel:
    hub: LocalHub
    name: str
    token: str
    id: str

    def run(self, code: str, timeout: float = 600) -> str:
        """Execute ``code``; return what it printed and its result; raise with the traceback on an error."""
        import websocket  # websocket-client, a dependency of jupyter_server

        ws = websocket.create_connection(
            f"ws://127.0.0.1:{self.hub.port}/user/{self.name}/api/kernels/{self.id}/channels",
            header=[f"Authorization: token {self.token}"], timeout=timeout)
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({"channel": "shell", "header": {
            "msg_id": msg_id, "msg_type": "execute_request", "session": uuid.uuid4().hex, "username": self.name,
            "version": "5.3"}, "parent_header": {}, "metadata": {}, "content": {
            "code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False,
            "stop_on_error": True}}))
        out, error, idle, replied = [], None, False, False
        try:
            while not (idle and replied):
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    out.append(content["text"])
                elif kind in ("execute_result", "display_data"):
                    out.append(content["data"].get("text/plain", "") + "\n")
                elif kind == "error":
                    error = "\n".join(content["traceback"])
                idle |= kind == "status" and content["execution_state"] == "idle"
                replied |= kind == "execute_reply"
        finally:
            ws.close()
        if error:
            raise RuntimeError(f"{self.name}'s kernel raised:\n{error}")
        return "".join(out)

    def shutdown(self) -> None:
        self.hub.server(self.name, f"api/kernels/{self.id}", self.token, "DELETE")
