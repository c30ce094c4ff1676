"""`/ws/pipelines/`: live run events for staff dashboards (L7).

Staff only, for as long as the socket is open: it is closed with 1008 when its user loses staff
status (or is deactivated) and with 4401 "Signed out" when every session of its user ends
(pipelines/signals.py), so a demoted member or a stolen session stops hearing runs at once."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.consumers import CLOSE_POLICY_VIOLATION, CLOSE_SIGNED_OUT
from pipelines.services import EVENTS_GROUP
from pipelines.signals import viewer_group

CLOSE_REASONS = {CLOSE_POLICY_VIOLATION: "Staff only", CLOSE_SIGNED_OUT: "Signed out"}


class PipelineEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_staff:
            # Accept first: a close before the handshake cannot carry a code for the client.
            await self.accept()
            await self.close(code=CLOSE_POLICY_VIOLATION)
            return
        self.viewer_group = viewer_group(user.pk)
        await self.channel_layer.group_add(self.viewer_group, self.channel_name)
        await self.channel_layer.group_add(EVENTS_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(EVENTS_GROUP, self.channel_name)
        if hasattr(self, "viewer_group"):
            await self.channel_layer.group_discard(self.viewer_group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The stream is one-way; clients only listen. A frame is never decoded: a 2,000-deep
        JSON frame raised RecursionError in json.loads and killed the socket in its groups."""

    async def pipeline_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "run", "data": message["event"]})

    async def pipelines_revoke(self, message: dict[str, Any]) -> None:
        # Out of the events group first: a run event arriving before disconnect() would be a
        # send on a closed socket.
        await self.channel_layer.group_discard(EVENTS_GROUP, self.channel_name)
        code = message["code"]
        await self.close(code=code, reason=CLOSE_REASONS.get(code, ""))
