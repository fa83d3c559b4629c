DROP TABLE paper_versions;
DROP TABLE papers;
