"""A local stand-in for the Hugging Face Hub's model API, as huggingface_hub's snapshot_download uses it.

`GET /api/models/{repo}/revision/{rev}` answers the commit sha and the file list (`siblings`),
`GET /api/models/{repo}/tree/{rev}?recursive=true` the files with their sizes (one page);
`HEAD`/`GET /{repo}/resolve/{rev}/{file}` answer a file with the headers the client checks
(`X-Repo-Commit`, `ETag`, `Content-Length`). Files are served from a local folder; requests are
recorded. Threading: aiohttp handlers on a ThreadedServer's loop.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from aiohttp import web

SHA = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    """One repository, its files read from `folder`."""

    def __init__(self, repo: str, folder: Path) -> None:
        self.repo = repo
        self.files = {
            str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
        }
        self.requests: list[str] = []
        self.app = web.Application()
        self.app.add_routes(
            [
                web.get("/api/models/{owner}/{name}/revision/{revision}", self._info),
                web.get("/api/models/{owner}/{name}", self._info),
                web.get("/api/models/{owner}/{name}/tree/{revision}", self._tree),
                web.get("/{owner}/{name}/resolve/{revision}/{path:.+}", self._file),
            ]
        )

    def _mine(self, request: web.Request) -> bool:
        self.requests.append(f"{request.method} {request.path}")
        return f"{request.match_info['owner']}/{request.match_info['name']}" == self.repo

    async def _info(self, request: web.Request) -> web.Response:
        if not self._mine(request):
            return web.json_response({"error": "Repository not found"}, status=404)
        siblings = [{"rfilename": name} for name in self.files]
        return web.json_response({"id": self.repo, "modelId": self.repo, "sha": SHA, "siblings": siblings})

    async def _tree(self, request: web.Request) -> web.Response:
        if not self._mine(request):
            return web.json_response({"error": "Repository not found"}, status=404)
        entries = [
            {"type": "file", "oid": hashlib.sha1(data).hexdigest(), "size": len(data), "path": name}
            for name, data in self.files.items()
        ]
        return web.json_response(entries)

    async def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["path"]) if self._mine(request) else None
        if data is None:
            return web.json_response({"error": "Entry not found"}, status=404)
        etag = hashlib.sha256(data).hexdigest()
        headers = {"X-Repo-Commit": SHA, "ETag": f'"{etag}"', "Content-Type": "application/octet-stream"}
        return web.Response(body=data, headers=headers)
