/**
 * The iPad enrollment QR (docs/api.md#nodes `GET /api/v1/enroll-qr`, docs/architecture.md#web-pages): the JSON a head scans, rendered on
 * the server as SVG with `qrcode`.
 */
import QRCode from 'qrcode';
import type { Config } from '../config.js';
import { enrollQrPayload } from '../http/heads.routes.js';

/** The QR's JSON: exactly what GET /api/v1/enroll-qr answers (the same builder). */
export function enrollQrJson(cfg: Config['server']): string {
  return JSON.stringify(enrollQrPayload(cfg));
}

/** An SVG document of the QR of `text` (error correction M, quiet zone of 4 modules). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4, color: { dark: '#000000', light: '#ffffff' } });
}
