// Prepended to perch.mjs (--extern-pre-js). Emscripten 3.1.6's node branch
// reads __dirname, which ES modules do not have. perch.mjs is single-file, so
// nothing is ever loaded from this directory.
var __dirname = '.';
