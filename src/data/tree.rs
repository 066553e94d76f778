//! `.dir` manifests (API skeleton; the formats owner fills it in).
