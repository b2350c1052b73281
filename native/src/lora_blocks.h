/*
 * mk_lora_rows' walk over a panel, shared by the vector paths: 4-row blocks (block4), then the rows
 * left over one at a time (block1), each over the panel's whole groups of W columns, then the
 * columns past the last group element by element. Included by lora_<isa>.c after it defines W,
 * block4 and block1, with MK_LORA_BLOCK naming the function it defines; the order of the blocks
 * changes no sum (each element's k order is its block's).
 */
void MK_LORA_BLOCK(const mk_lora_args *a, int64_t r0, int64_t rows, int64_t c0, int64_t cols, const double *pack) {
    const int64_t groups = cols / W;
    const int64_t stride = pack != NULL ? W : a->columns;
    const int64_t end = r0 + rows;
    int64_t r = r0;
    for (; r + 4 <= end; r += 4) {
        for (int64_t g = 0; g < groups; g++) {
            block4(a, r, c0 + g * W, pack != NULL ? pack + g * a->rank * W : a->right + c0 + g * W, stride);
        }
    }
    for (; r < end; r++) {
        for (int64_t g = 0; g < groups; g++) {
            block1(a, r, c0 + g * W, pack != NULL ? pack + g * a->rank * W : a->right + c0 + g * W, stride);
        }
    }
    for (r = r0; r < end; r++) {
        for (int64_t j = c0 + groups * W; j < c0 + cols; j++) {
            mk_lora_element(a, r, j);
        }
    }
}
