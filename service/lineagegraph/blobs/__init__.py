"""Artifact bytes in S3, content-addressed; the service plans and verifies, never streams them.

Layout, all in the one bucket (``settings.s3_bucket``):

- ``blobs/sha256/<2 hex>/<64 hex>``: the bytes whose SHA-256 is the key. Written once; the same
  content uploaded again is a dedup hit and sends no byte.
- ``claims/sha256/<2>/<64>/<time>-<rand>``: empty markers, one per begin/commit: "a client is
  about to reference this blob" (a lease for the GC's grace window).
- ``tombstones/sha256/<2>/<64>/<gc run>``: empty markers, "a GC run is deciding about this blob".

Upload (blob_protocol.py has the wire types; store.BlobStore the methods):

1. ``begin_upload(BeginUpload(digest, size, media_type)) -> UploadPlan``: rejects over-size
   (``max_artifact_size``), writes a claim, refuses while a tombstone exists (BlobBusy), then
   answers ``stored`` if the blob is there *and proven* (see verify.py; a corrupt object under the
   key is removed, not trusted), else ``single`` (one presigned PUT, below
   ``multipart_threshold``) or ``multipart`` (an S3 multipart upload with part size
   ``multipart_part_size``; an unfinished upload of the same key is resumed and the parts S3 holds
   are listed with their CRC32 so the client skips those it would send unchanged).
2. ``presign_parts(PresignParts(...)) -> [PresignedRequest]``: part URLs, asked for as parts are
   about to go (so a URL never outlives ``presign_expiry_seconds`` on a long upload).
   Every upload URL signs a checksum header and ``content-length``: S3 itself refuses a body of
   another length or checksum (versitygw 1.7 rejects unsigned ``x-amz-*`` headers on presigned
   requests and checks the checksum: ``BadDigest``). A single PUT signs the blob's SHA-256, which
   S3 then keeps as the object's full checksum; a part signs its CRC32 (S3 has only a COMPOSITE
   checksum for multipart objects anyway, so SHA-256 per part would prove nothing more and cost
   a second SHA pass on both ends).
3. ``commit_upload(CommitUpload(...)) -> BlobInfo``: claim + tombstone check again; for a single
   PUT, the full-object SHA-256 S3 stored is compared (no read); for multipart (S3 only keeps a
   COMPOSITE SHA-256 of part hashes) the parts are checked against ListParts (ETag), completed
   with ``If-None-Match: *`` (a proven blob is never overwritten by unproven bytes), then read
   back and hashed by the service; the proof is kept as the object tag ``lineage-sha256`` (S3
   drops tags when an object is overwritten). A mismatch removes the object and raises
   DigestMismatch. Only then may the graph call the artifact AVAILABLE.

Over the wire (api/blobs.py; the SDK's GraphQLBlobService is the client side): ``uploadLimits``,
``beginUpload``, ``presignUploadParts``, ``commitUpload`` (also promotes the PENDING artifacts that
name the blob), ``abortUpload``, ``downloadUrl(ref | digest)`` and ``blob(digest)``; one input type
per mutation, write scope for uploads, read scope for downloads. A registration of a stored
artifact (its uri in this bucket, not a reference) first claims the blob (references.py and the
GC below), and is recorded PENDING when the blob is not proven yet; commit flips it to AVAILABLE.

Download: ``download_ticket(digest)`` is a presigned GET plus the digest and size; the SDK
verifies while writing. Reference artifacts (``s3://``, ``file://``, ``https://``) are recorded
where they live (``check_reference``: size and, where S3 has one, the SHA-256 checked for
``s3://`` objects this service can see; user URLs are never fetched by the service).

GC (gc.py, claims.py; ``lineage gc``): blobs older than the cutoff, with no claim since, and not
referenced (references.py asks Neo4j: any artifact node naming the digest or the blob uri, PENDING
included) are deleted after a tombstone and a last re-check; stale multipart
uploads are aborted. The claim/tombstone order makes a concurrent registration safe.

Credentials come only from the settings; they and presigned URLs (bearer tokens) are kept out of
reprs, logs and error messages.
"""
