/**
 * The iPad enrollment QR (SPEC §9 `GET /api/v1/enroll-qr`, §14): the JSON a head scans, rendered on
 * the server as SVG with `qrcode`.
 */
import QRCode from 'qrcode';
import type { Config } from '../config.js';

/**
 * The QR's JSON: `{"server_url","enrollment_token"}`.
 * TODO([heads]): GET /api/v1/enroll-qr is built on the heads branch; once merged, this must call the
 * same builder that route uses so the page and the API can never disagree.
 */
export function enrollQrJson(cfg: Config['server']): string {
  return JSON.stringify({ server_url: cfg.public_url, enrollment_token: cfg.fleet_enrollment_token });
}

/** An SVG document of the QR of `text` (error correction M, quiet zone of 4 modules). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4, color: { dark: '#000000', light: '#ffffff' } });
}
