"""bench/faults.d/proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT

A TCP proxy in one process (Python standard library), used by bench/faults
to play a stopped database: killing it closes every link and the listener,
so the service sees its connections drop and new ones refused.
"""

import asyncio
import sys

LISTEN, TARGET_HOST, TARGET_PORT = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def link(client_reader, client_writer):
    try:
        server_reader, server_writer = await asyncio.open_connection(TARGET_HOST, TARGET_PORT)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))


async def main():
    server = await asyncio.start_server(link, "127.0.0.1", LISTEN, reuse_address=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
