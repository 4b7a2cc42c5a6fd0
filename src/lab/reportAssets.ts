import { readBuiltAsset } from '../host/builtAssets.js';
import type { LabReportAssets } from '../render/labReportHtml.js';

/** The same uPlot build the serve dashboard uses (scripts/bundle-cli.mjs copies it there). */
export async function readUplotAssets(): Promise<LabReportAssets> {
  const [uplotJs, uplotCss] = await Promise.all([
    readBuiltAsset('uPlot.iife.min.js', 'the lab report asset'),
    readBuiltAsset('uPlot.min.css', 'the lab report asset'),
  ]);
  return { uplotJs: uplotJs.toString('utf8'), uplotCss: uplotCss.toString('utf8') };
}
