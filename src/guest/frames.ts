/*
 * The Guest kernel's page allocator: two pools, as Linux has zones. Page
 * tables must come from lowmem, where the kernel can always reach them;
 * user pages prefer highmem, as GFP_HIGHUSER does, which is exactly what
 * makes the kernel kmap them to zero or copy them.
 */

// #region G-frames
/** Frames by Guest-physical address, with a reference count for pages shared after fork. */
export class Frames {
  private readonly low: number[] = [];
  private readonly high: number[] = [];
  private readonly refs: Uint16Array;
  readonly lowmemEnd: number;

  /** Frames [firstFree, lowmemPages) are lowmem, [lowmemPages, pages) highmem. */
  constructor(pages: number, lowmemPages: number, firstFree: number) {
    this.refs = new Uint16Array(pages);
    this.lowmemEnd = lowmemPages * 4096;
    // Stacks, filled top down so that allocation goes bottom up: the same order in every run.
    for (let pfn = lowmemPages - 1; pfn >= firstFree; pfn--) this.low.push(pfn * 4096);
    for (let pfn = pages - 1; pfn >= lowmemPages; pfn--) this.high.push(pfn * 4096);
  }

  /** A frame for a page table or directory: lowmem only. */
  allocKernel(): number {
    return this.take(this.low.pop());
  }

  /** A frame for user memory: highmem first. */
  allocUser(): number {
    return this.take(this.high.pop() ?? this.low.pop());
  }

  /** One more user of a frame (a page shared copy-on-write). */
  get(gpa: number): void {
    this.refs[gpa / 4096]!++;
  }

  /** One user fewer; the last one frees the frame. */
  put(gpa: number): void {
    const pfn = gpa / 4096;
    if (this.refs[pfn] === 0) throw new Error(`guest kernel bug: freeing free frame 0x${gpa.toString(16)}`);
    if (--this.refs[pfn]! === 0) (gpa < this.lowmemEnd ? this.low : this.high).push(gpa);
  }

  count(gpa: number): number {
    return this.refs[gpa / 4096]!;
  }

  isHighmem(gpa: number): boolean {
    return gpa >= this.lowmemEnd;
  }

  get free(): number {
    return this.low.length + this.high.length;
  }

  private take(gpa: number | undefined): number {
    if (gpa === undefined) throw new Error('guest out of memory');
    this.refs[gpa / 4096] = 1;
    return gpa;
  }
}
// #endregion G-frames
