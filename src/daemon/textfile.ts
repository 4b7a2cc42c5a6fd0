/** node_exporter's textfile collector reads *.prom files in its directory: serve --textfile writes this one. */
export const TEXTFILE_NAME = 'ctdoctor.prom';
