"""Knowledge-base index: article parsing, sentence embedding, faiss index build and hybrid search."""
