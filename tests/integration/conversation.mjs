// Raw bytes to a server on one new connection, for what fetch() never sends
// (a GET with a body, two Content-Lengths, a head left unfinished).
import net from 'node:net';

// Sends `bytes` to `url`'s host and port and resolves with everything the
// server sent until it closed the connection; rejects if it stays open
// `timeoutMs`.
export function wholeConversation(url, bytes, { timeoutMs = 5000 } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`the server kept the connection open for ${timeoutMs} ms`)); }, timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => { clearTimeout(timer); socket.destroy(); resolve(Buffer.concat(chunks).toString('latin1')); });
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
  });
}

// The status lines in a conversation: one per answer.
export function statusLines(conversation) {
  return conversation.match(/HTTP\/1\.1 \d{3}/g) ?? [];
}
