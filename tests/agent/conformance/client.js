// Our own protocol client reproducing the vendor scripts' frames (not vendor code).
// VNPT-CA Plugin: one shared socket to wss://localhost:<port>/plugin, frames
// JSON.stringify({functionID, funcCallback, args, domain}) in that key order, reply
// "<result>*<callback>" split on "*", result handed over as a string.
// VGCA: one socket per call to wss://127.0.0.1:<port>/<Path>, the message sent as given,
// the first message goes to the callback, then the socket is closed.
(() => {
  const q = new URLSearchParams(location.search);
  let ws = null;
  let pending = null;
  const open = () =>
    new Promise((resolve, reject) => {
      if (ws && ws.readyState === 1) return resolve(ws);
      ws = new WebSocket(`wss://localhost:${q.get('vnpt')}/plugin`);
      ws.onopen = () => resolve(ws);
      ws.onerror = () => reject(new Error('-1'));
      ws.onmessage = (ev) => {
        const parts = ev.data.split('*');
        const p = pending;
        pending = null;
        if (p) p({ result: parts[0], callback: parts[1], raw: ev.data });
      };
    });
  window.vnptCall = async (functionID, args, funcCallback = 'callbackDefault') => {
    const s = await open();
    return new Promise((resolve) => {
      pending = resolve;
      s.send(JSON.stringify({ functionID, funcCallback, args, domain: location.hostname || location.href }));
    });
  };
  window.vgcaCall = (path, msg) =>
    new Promise((resolve) => {
      const s = new WebSocket(`wss://127.0.0.1:${q.get('vgca')}/${path}`);
      s.onopen = () => s.send(msg);
      s.onmessage = (ev) => {
        resolve(ev.data);
        s.close();
      };
    });
})();
