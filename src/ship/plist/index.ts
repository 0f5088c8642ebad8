export { plistXml, escapeXml, PlistReal, PlistWriteError, type PlistValue } from './write-xml.js';
