import { PF_P, PF_RSVD, PF_U } from '../../src/hw/fault.ts';
import { CR4_PSE } from '../../src/hw/mmu.ts';
import { PTE_A, PTE_D, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machine32 } from '../support/machine.ts';
import { exercise, faultCode } from '../support/graded.ts';

const t = exercise('ex05-large-page', { hidden: true });

t(1, 'a large page in the middle of memory, at an odd 4 KiB piece', (see) => {
  const { space, mmu } = machine32({ cr4: CR4_PSE });
  space.map4M(0xc000_0000, 0x0040_0000, PTE_P | PTE_RW);
  see.addr('mmu.physical(0xc0123456, READ)', mmu.physical(0xc012_3456, READ), 0x0052_3456);
});

t(1, 'PSE-36: PDE bits 20:13 are physical-address bits 39:32', (see) => {
  const { space, mmu, memory } = machine32({ cr4: CR4_PSE });
  const at = space.map4M(0x0080_0000, 0x0040_0000, PTE_P | PTE_RW);
  memory.write32(at, memory.read32(at) | (0x12 << 13));
  see.addr("translate(0x00912345, 'read').paddr", mmu.translate(0x0091_2345, 'read').paddr, 0x12_0051_2345);
});

t(1, 'bit 21 is reserved: an access faults with P|RSVD and marks nothing', (see) => {
  const { space, mmu, memory } = machine32({ cr4: CR4_PSE });
  const at = space.map4M(0x0040_0000, 0x0080_0000, PTE_P | PTE_RW | 1 << 21);
  see.pf('mmu.read32(0x00400000), PDE bit 21 set', faultCode(() => mmu.read32(0x0040_0000)), PF_P | PF_RSVD);
  see.entry('the PDE after it', memory.read32(at), 0x0080_0000 | PTE_PS | PTE_P | PTE_RW | 1 << 21);
});

t(1, 'a refused access marks nothing; a user read of a user page leaves Dirty clear', (see) => {
  const { space, mmu, memory } = machine32({ cr4: CR4_PSE });
  const sup = space.map4M(0x0040_0000, 0x0080_0000, PTE_P | PTE_RW);
  const usr = space.map4M(0x00c0_0000, 0x0080_0000, PTE_P | PTE_RW | PTE_US);
  mmu.setCpl(3);
  see.pf('user mmu.read32(0x00400000)', faultCode(() => mmu.read32(0x0040_0000)), PF_P | PF_U);
  see.entry('the supervisor PDE after it', memory.read32(sup), 0x0080_0000 | PTE_PS | PTE_P | PTE_RW);
  mmu.physical(0x00c0_0000, READ);
  see.entry('the user PDE after a user read', memory.read32(usr) & (PTE_A | PTE_D), PTE_A);
});
