"""Learning material itself: H5P packages and media kept in storage (filesystem or S3).

The H5P package model arrives with the H5P issue; uploads already go through Django
STORAGES so that the filesystem and S3 behave the same.
"""
